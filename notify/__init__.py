"""Subscriptions and e-mail: who follows what, how they want to hear, and the mail outbox."""
