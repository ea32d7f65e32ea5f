"""Pure chart builders (Altair): frames in, chart specs out; pages and packs share them."""
