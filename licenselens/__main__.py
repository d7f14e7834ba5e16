from licenselens.cli import main

main()
