"""What a party sees without an account: progress lookup and feedback."""
