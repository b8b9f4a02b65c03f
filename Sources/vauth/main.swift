print("vauth")
