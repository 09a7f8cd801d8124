"""The cisco-uc profile: what makes a CA-signed certificate fail to upload, or break later, on
Cisco UC servers (CUCM, IM&P, Unity Connection, UCCX, Expressway)."""
