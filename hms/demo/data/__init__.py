"""What the demo is made of, as plain data: its hospitals and users, price lists, clinic week,
drugs, allergies and conditions. No code here reads a database or draws a random number; the
code that writes the demo (hms.demo.services, hms.demo.activity, hms.demo.clinical) imports it.
"""
