"""Users: accounts, sessions, API tokens and the policy that answers "may this user do this"."""
