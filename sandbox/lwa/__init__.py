"""Login with Amazon: refresh tokens in, short-lived access tokens out."""
