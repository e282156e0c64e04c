# dumbflix.stack: the two commands a user needs are `make up` and `make test`.
# Every target is safe to re-run; nothing is rebuilt that is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
IMAGE ?= dumbflix-lab-base:trixie
# every Debian release CI converges: the lab's trixie (13), and bookworm (12) and bullseye (11)
# for the releases scenario and the real-nginx tests on each release's nginx
IMAGES := dumbflix-lab-base:trixie dumbflix-lab-base:bookworm dumbflix-lab-base:bullseye
INVENTORY ?= inventory/lab
CACHE_DIR := .cache
COLLECTIONS := $(CURDIR)/.ansible/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/dumbflix/stack

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# molecule 25.2+ no longer sets this itself
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export CACHE_DIR
export STAGE_LOG := $(CURDIR)/$(CACHE_DIR)/stages.log
# make test runs in three lanes on 2 cores, each stage printing its time, every lane's output printed at the end:
#   MAIN    the default scenario (the lab's shape, the real app, rollouts under load): the longest, so it starts first
#           and runs alone in its lane;
#   BESIDE  the releases scenario (Debian 11 and 12, and the monitoring's alerts, which wait on Prometheus rather
#           than send load);
#   checks  lint, the real-nginx and pm2 tests, the build, the unit tests, the real-nginx tests on Debian 11's and
#           13's nginx, ansible-test sanity and units (mostly pip installing each sanity test's pinned tools on a
#           fresh clone), then every other scenario (production).
# One after the other they would take well over an hour; side by side they overlap each other's waits (converges
# that wait on apt and npm, tests that wait on alerts, fail_timeout and drains).
MAIN := default
BESIDE := releases

.PHONY: help up lab down test deps venv image images lint yamllint unit molecule build clean bench docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

up: lab ## install what is missing, create the lab, deploy the whole task, print how to reach it
	@scripts/choose-app.sh $(INVENTORY)
	ansible-playbook playbooks/site.yml -i $(INVENTORY) -e @$(CACHE_DIR)/lab-app.json
	@lab/print-access.sh $(INVENTORY)

lab: venv deps image ## create (or update) one container per inventory host
	ansible-playbook playbooks/lab.yml -i $(INVENTORY)

down: venv deps ## remove the lab's containers and network
	ansible-playbook playbooks/lab.yml -i $(INVENTORY) -e lab_state=absent

test: venv deps images ## everything CI checks: lint, unit and nginx/pm2 tests (on Debian 11, 12 and 13's nginx), molecule
	@mkdir -p $(CACHE_DIR); : > $(STAGE_LOG); rc=0; \
	if [ -n "$${DUMBFLIX_REAL_APP:-}" ]; then \
	  echo "=== the default scenario deploys the real app from $$DUMBFLIX_REAL_APP"; \
	  app=$$(scripts/real-app.sh) && export DUMBFLIX_APP_SRC=$$app || rc=1; \
	fi; \
	{ r=0; scripts/stage molecule-$(BESIDE) molecule test -s $(BESIDE) || r=1; \
	  exit $$r; } > $(CACHE_DIR)/beside.log 2>&1 & beside=$$!; \
	{ r=0; scripts/stage ansible-lint ansible-lint || r=1; \
	  scripts/stage yamllint yamllint -s . || r=1; \
	  scripts/stage ruff-check ruff check . || r=1; \
	  scripts/stage ruff-format ruff format --check . || r=1; \
	  scripts/stage shellcheck shellcheck .ci/run scripts/stage $$(git ls-files '*.sh') || r=1; \
	  scripts/stage pytest-real pytest tests/nginx tests/pm2 || r=1; \
	  scripts/stage build $(MAKE) --no-print-directory build || r=1; \
	  scripts/stage pytest-unit pytest -n 2 tests/unit || r=1; \
	  for suite in bullseye trixie; do \
	    scripts/stage nginx-$$suite scripts/nginx-release-tests.sh $$suite -q || r=1; \
	  done; \
	  scripts/stage sanity tests/sanity/ansible-test.sh sanity --python 3.11 --local || r=1; \
	  scripts/stage units tests/sanity/ansible-test.sh units --python 3.11 --venv --requirements \
	    tests/unit/plugins/modules/ tests/unit/plugins/module_utils/ tests/unit/plugins/filter/ || r=1; \
	  for scenario in $$(ls molecule | grep -vxE '$(MAIN)|$(BESIDE)'); do \
	    scripts/stage molecule-$$scenario molecule test -s $$scenario || r=1; \
	  done; \
	  exit $$r; } > $(CACHE_DIR)/checks.log 2>&1 & checks=$$!; \
	scripts/stage molecule-$(MAIN) molecule test -s $(MAIN) || rc=1; \
	wait $$beside || rc=1; \
	echo "=== molecule-$(BESIDE), run beside molecule-$(MAIN):"; cat $(CACHE_DIR)/beside.log; \
	wait $$checks || rc=1; \
	echo "=== lint, the real-nginx and pm2 tests, the build, the unit tests, tests/nginx on Debian 11's and 13's nginx,"; \
	echo "    ansible-test sanity and units, and the other scenarios, run beside molecule-$(MAIN):"; \
	cat $(CACHE_DIR)/checks.log; \
	awk '{ printf "=== %-16s %-7s %6s\n", $$1, ($$2 == 0 ? "passed" : "FAILED"), $$3; \
	       if ($$2 == 0) ok++; else bad++ } \
	     END { printf "stages: %d passed, %d failed\n", ok, bad }' $(STAGE_LOG); \
	exit $$rc

bench: venv deps ## measure the running lab (make up first): proxy overhead, failover under load, converge scaling
	python -m bench --inventory $(INVENTORY) $(BENCH_ARGS)

docs: venv ## write docs/reference.md from the roles' argument specs and the plugins' documentation
	python scripts/gen_reference.py

deps: ## install host packages (docker.io, mmdebstrap, nginx, node) and start dockerd
	@scripts/setup-host.sh

venv: $(VENV)/.installed $(COLLECTION_LINK) ## the project's Python tools in .venv

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: could not create $(VENV) with $(PYTHON) -m venv: install python3-venv, then re-run" >&2; exit 1; }
	@$(VENV)/bin/pip install -q -r requirements.txt || { echo "make: pip could not install requirements.txt into $(VENV): check the network to PyPI, then re-run" >&2; exit 1; }
	@touch $@

# the checkout, seen by Ansible as an installed collection
$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn ../../../.. $@

image: deps ## build the lab's Debian 13 systemd image locally (nothing is pulled)
	@lab/build-image.sh $(IMAGE)

images: deps ## build the Debian 11, 12 and 13 images make test uses
	@for image in $(IMAGES); do lab/build-image.sh $$image || exit 1; done

lint: venv
	ansible-lint
	yamllint -s .

unit: venv
	pytest

build: venv ## build the collection tarball and install it into a scratch path to prove FQCNs resolve
	@scripts/check-build.sh

.PHONY: proof
proof: venv deps ## screenshot the site in a browser: all up, one app down, all down (502), all back
	@python -m scripts.proof -i $(INVENTORY)

clean: down ## remove the lab and every local artefact (.venv, .ansible, .cache)
	rm -rf $(VENV) .ansible $(CACHE_DIR) *.tar.gz
