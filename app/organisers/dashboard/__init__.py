"""The organiser's home and each campaign's figures and signatures."""
