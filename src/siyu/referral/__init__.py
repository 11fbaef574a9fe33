"""Referral (fission, 裂变): codes per customer, attribution, rewards, fraud rules, K-factor."""
