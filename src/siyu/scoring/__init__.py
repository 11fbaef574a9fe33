"""The daily pipeline: snapshot → analytics → customer profiles."""
