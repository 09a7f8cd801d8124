"""Rules: the findings (stable codes, severity, message, hint), the profile registry, the CA note,
and the profiles' own rule sets (cisco_uc/)."""
