"""The embeddable widget: sources (src/, built with esbuild) and the committed bundle (bundle/)."""
