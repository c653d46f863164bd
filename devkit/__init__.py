"""Developer tools of the repository, not shipped in the bot's wheel: the local
Telegram Bot API emulator (`devkit.emulator`) that tests, benchmarks and the
terminal sandbox chat (`devkit.sandbox`) run the real bot against."""
