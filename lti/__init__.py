"""LTI 1.3 tool side: platforms launch Checkfirst with single sign-on, roles and deep linking."""
