"""Staff pages of segments: list, builder, segment page, overlap heatmap, partner panel."""
