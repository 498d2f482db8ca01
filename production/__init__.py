"""Making takes: the production line (generate -> interpolate/upscale -> music -> inspect ->
retake within budget -> schedule), prompt composition, production's context, and the backends
behind one interface per capability."""
