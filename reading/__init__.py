"""Reading text without a language model: a theme or a note into its parts (who, what, where,
when, style), the words of any script, colour words."""
