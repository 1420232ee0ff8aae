"""The year's rhythm (issue 9, CONTRACT.md "The year's rhythm"): deadlines, delegations, batch
steps, the progress board."""
