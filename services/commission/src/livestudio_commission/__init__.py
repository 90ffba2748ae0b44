"""livestudio_commission."""
