"""The top floor: the command line that starts everything, and the page and operator server."""
