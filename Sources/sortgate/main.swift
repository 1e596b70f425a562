print("sortgate")
