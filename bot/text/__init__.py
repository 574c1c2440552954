"""Terminal text and JSON renderings of the domain's answers (pure), for the CLI and the demo."""
