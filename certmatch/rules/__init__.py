"""Rules: the findings (stable codes, severity, message, hint), the profile registry, the CA note,
and the profiles' own rule sets (cisco_uc/). Each code is built in one module here, and the
check and the scan both call it."""
