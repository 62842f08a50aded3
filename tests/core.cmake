# Engine, script, render and CLI tests are registered here.
