"""The catalogue: brands, categories, skin concerns, products, variants, images."""
