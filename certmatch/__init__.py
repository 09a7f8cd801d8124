"""certmatch: does this CA-signed certificate belong to that CSR or private key, and if not, why not?"""
