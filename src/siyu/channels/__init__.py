"""Channel codes ("live codes"), staff routing, joins and their attribution, QR codes, cards."""
