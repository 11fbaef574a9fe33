"""Key rotation: re-encrypting and re-indexing personal data under the newest key."""
