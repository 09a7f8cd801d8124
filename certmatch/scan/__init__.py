"""`python -m certmatch scan`: folders to an inventory of key sets, using the check's rules."""
