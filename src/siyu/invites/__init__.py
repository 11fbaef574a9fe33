"""Invite priority: which public-domain buyers to bring into the pool first, and where."""
