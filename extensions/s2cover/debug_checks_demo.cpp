// Why geojson_cover.cpp builds every loop with S2Debug::DISABLE: S2 as Debian
// builds it (libs2-dev, or the same source built by make setup where the release
// has no package) keeps its debug checks on, and a loop built from a bow tie (a
// ring that crosses itself) with default options does not return an error --
// it aborts the whole process. Lesson 06 compiles and runs this in a
// subprocess; test_s2cover.py checks it still happens.
#include <cstdio>
#include <utility>
#include <vector>

#include <s2/s2latlng.h>
#include <s2/s2loop.h>

int
main()
{
    std::vector<S2Point> bow_tie;
    for (auto [lat, lng] : {std::pair{0.0, 0.0}, {2.0, 2.0}, {0.0, 2.0}, {2.0, 0.0}})
        bow_tie.push_back(S2LatLng::FromDegrees(lat, lng).ToPoint());
    S2Loop loop(bow_tie);                                               // default: S2Debug::ALLOW
    std::printf("built a loop of %d vertices\n", loop.num_vertices());  // never reached
    return 0;
}
