"""The Prompt Lab as pure data and functions: prompt versions, datasets, assertions, matrices."""
