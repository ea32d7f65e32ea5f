"""Access: roles per page, local accounts and sign-in, attempt throttles."""
