"""AI providers: one protocol, the offline `local` provider and (later) OpenAI-compatible ones."""
