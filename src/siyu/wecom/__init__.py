"""WeCom (Enterprise WeChat) adapter: callback crypto, server API client, callback receiver."""
