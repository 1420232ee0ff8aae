"""Notifications (CONTRACT.md "The year's rhythm"): in-app, optionally by e-mail, and the digest."""
