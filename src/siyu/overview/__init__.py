"""The console overview: pool size next to quality, sales by domain, trends; read live."""
