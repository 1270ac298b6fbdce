# Thin wrapper over ./run.sh, which does the set-up itself. `make help` lists targets.
.PHONY: help setup report test simulate lab bench refresh-notebooks
help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
setup:  ## install Debian packages and .venv
	./run.sh setup
report:  ## set up and write this week's report to reports/<week>/
	./run.sh report
test:  ## set up and run every test
	./run.sh test
simulate:  ## print the forecast for the Lekhok plan
	./run.sh simulate
lab:  ## open the notebooks in JupyterLab
	./run.sh lab
bench:  ## run the benchmark suite
	./run.sh bench
refresh-notebooks:  ## re-execute stored notebooks (nbval baselines) after a deliberate change
	./run.sh refresh-notebooks
