from .probe import main

main()
