"""Packaging detail pyproject.toml cannot express: ship the top-level templates/ and static/ inside the
wheel (as facilitator/web_templates and facilitator/web_static), plus the migrations."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["facilitator", "facilitator.*"])
    + ["facilitator.web_templates", "facilitator.web_static"],
    package_dir={"facilitator.web_templates": "templates", "facilitator.web_static": "static"},
    package_data={
        "facilitator.web_templates": ["**/*"],
        "facilitator.web_static": ["**/*"],
        "facilitator": ["migrations/*", "migrations/versions/*.py", "translations/*.pot",
                        "translations/*/LC_MESSAGES/*.po", "translations/*/LC_MESSAGES/*.mo"],
    },
    include_package_data=False,
)
