"""Programs that play against parlor through its client SDK: the roulette bot."""
