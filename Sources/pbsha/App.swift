import ArgumentParser
import Lab
@main struct App: ParsableCommand { func run() {} }
