"""Developer tools: a local Telegram Bot API emulator for tests, benchmarks and
the terminal sandbox chat. Not used by the bot in production."""
