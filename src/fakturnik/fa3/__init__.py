"""The FA(3) e-invoice: model, amounts, writer, parser, validation."""
