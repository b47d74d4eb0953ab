"""demo-shop: order processing for a small online shop."""
