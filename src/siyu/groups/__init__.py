"""Customer groups (社群): members, daily activity, and which groups are dead or declining."""
