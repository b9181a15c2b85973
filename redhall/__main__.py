from redhall.cli import main

raise SystemExit(main())
