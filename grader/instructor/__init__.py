"""Instructor's tools that students never need: building the reference bank, parallel
autograde, class reports, the demo and its cohorts. The students' wheel leaves this folder out."""
