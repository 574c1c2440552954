"""The registry the bot answers from (`holder`), and reloading it without a restart."""
