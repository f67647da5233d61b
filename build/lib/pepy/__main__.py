from pepy.infrastructure.cli import main

main()
