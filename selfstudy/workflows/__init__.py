"""The use cases both faces share: the app and the command line call the same function here
for the same action."""
