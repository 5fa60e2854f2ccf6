"""The retail product-search set: catalogue entries and the shopper queries that should find them.

Written by hand for this registry (no third-party data). Queries paraphrase rather than repeat the
entry's words, so lexical overlap alone does not solve the set: a sentence-embedding model such as
all-MiniLM-L6-v2 should rank the right entry first for most queries, a random encoder should not.
"""

from __future__ import annotations

# (document id, catalogue entry, shopper query)
PRODUCTS: tuple[tuple[str, str, str], ...] = (
    (
        "p01",
        "Waterproof hiking jacket with taped seams and an adjustable hood",
        "rain coat for mountain walks",
    ),
    (
        "p02",
        "Stainless steel electric kettle, 1.7 litres, automatic shut-off",
        "something to boil water for tea",
    ),
    (
        "p03",
        "Three-seater fabric sofa in grey with removable cushion covers",
        "big couch for the living room",
    ),
    (
        "p04",
        "Lightweight running shoes with a cushioned sole for road training",
        "trainers for jogging on pavement",
    ),
    ("p05", "LED desk lamp with dimmer and USB charging port", "adjustable light for my study table"),
    ("p06", "Laptop backpack with padded sleeve for 15-inch notebooks", "bag to carry my computer to work"),
    ("p07", "High-speed blender for smoothies and crushed ice", "machine to make fruit shakes"),
    ("p08", "Cast iron frying pan, pre-seasoned, 28 cm", "heavy skillet for searing steak"),
    ("p09", "Memory foam pillow that supports the neck", "cushion for sleeping without a sore neck"),
    ("p10", "Cordless drill with two batteries and a bit set", "power tool to put screws in walls"),
    ("p11", "Children's bicycle with stabiliser wheels, 16-inch", "first bike for a small kid"),
    (
        "p12",
        "Noise-cancelling over-ear headphones with Bluetooth",
        "wireless headset that blocks sound on flights",
    ),
    ("p13", "Organic cotton bed sheets, king size, white", "natural fabric bedding for a large bed"),
    ("p14", "Digital kitchen scale accurate to one gram", "weigh flour precisely for baking"),
    (
        "p15",
        "Insulated stainless steel water bottle that keeps drinks cold for 24 hours",
        "flask that keeps water chilled all day",
    ),
    ("p16", "Yoga mat with non-slip surface, 6 mm thick", "exercise mat for stretching at home"),
    (
        "p17",
        "Robot vacuum cleaner with app control and auto-docking",
        "automatic floor cleaner that charges itself",
    ),
    ("p18", "Wool winter scarf, hand-knitted, charcoal", "warm neck wrap for cold weather"),
    ("p19", "Ceramic dinner plates, set of six, matte white", "dishes to serve dinner on"),
    ("p20", "Two-person camping tent, waterproof, easy setup", "shelter for sleeping outdoors with a friend"),
    ("p21", "Espresso machine with milk frother for cappuccino", "coffee maker that foams milk"),
    ("p22", "Smartwatch with heart-rate monitor and GPS", "wrist device that tracks my runs and pulse"),
    ("p23", "Hardwood cutting board with juice groove", "wooden surface for chopping vegetables"),
    ("p24", "Blackout curtains that block sunlight, 140 x 250 cm", "drapes to keep the bedroom dark"),
    ("p25", "Leather wallet with RFID protection and coin pocket", "billfold that stops card skimming"),
    (
        "p26",
        "Electric toothbrush with pressure sensor and two-minute timer",
        "rechargeable brush for cleaning teeth",
    ),
    ("p27", "Garden hose, 30 metres, with spray nozzle", "long pipe for watering plants"),
    ("p28", "Sunscreen lotion SPF 50 for sensitive skin", "cream to prevent sunburn"),
    ("p29", "Board game for family evenings, ages 8 and up", "fun tabletop game for parents and children"),
    (
        "p30",
        "Office chair with lumbar support and adjustable armrests",
        "comfortable seat for long days at the desk",
    ),
)
